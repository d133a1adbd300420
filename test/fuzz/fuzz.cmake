# libFuzzer harnesses (test/fuzz/fuzz_<name>.c), built only by clang: gcc
# builds never see them. test/fuzz/run.sh (`make fuzz`) configures a build
# directory of its own with clang and the whole tree instrumented
# (-fsanitize=fuzzer-no-link,address,undefined), builds these targets, lays
# out the seed corpora from test/testdata and runs each harness for a while.
#
# One entry per harness, "<name>:<seeds>": fuzz_<name>.c in this directory,
# and the kind of seed corpus run.sh builds for it from test/testdata:
#   yaml        the YAML files as they are (and their JSON renditions)
#   list        each object as JSON, and a v1 List of each file's objects
#   patch       the config-patch annotation texts found in them
#   review      AdmissionReviews around each object (CREATE, UPDATE, DELETE)
#   conversion  ConversionReviews around each object
#   kubeconfig  kubeconfig files around the test certificates
#   watch       watch streams made of the objects (first byte: chunk size)
# Adding a harness is one file here plus one line in this list.
set(GW_FUZZ_HARNESSES
  doc:yaml
  patch:patch
  validate:yaml
  admission:review
  preview:list
  kubeconfig:kubeconfig
  watch:watch
  convert:conversion
  textpack:yaml
)

if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=fuzzer")
  check_c_source_compiles([[
    #include <stddef.h>
    #include <stdint.h>
    int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
  ]] GW_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
endif()

if(GW_HAVE_LIBFUZZER)
  set(GW_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
  # The fuzz build is about crashes and undefined behaviour: clang's own
  # warnings are shown, but must not stop the harnesses from being built.
  if(CMAKE_BUILD_TYPE STREQUAL "Fuzz")
    foreach(lib gwcore gwkube gwserve)
      get_target_property(lib_type ${lib} TYPE)
      if(NOT lib_type STREQUAL "INTERFACE_LIBRARY")
        target_compile_options(${lib} PRIVATE -Wno-error)
      endif()
    endforeach()
  endif()
  set(names "")
  foreach(entry ${GW_FUZZ_HARNESSES})
    string(REPLACE ":" ";" parts ${entry})
    list(GET parts 0 name)
    add_executable(fuzz_${name} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${name}.c)
    target_compile_options(fuzz_${name} PRIVATE ${GW_FUZZ_FLAGS})
    target_link_options(fuzz_${name} PRIVATE ${GW_FUZZ_FLAGS})
    target_link_libraries(fuzz_${name} PRIVATE gwserve)
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    list(APPEND names fuzz_${name})
  endforeach()
  # Turns test/testdata into seed corpora (YAML to JSON, reviews, streams).
  add_executable(fuzz_mkseeds ${CMAKE_CURRENT_LIST_DIR}/mkseeds.c)
  target_link_libraries(fuzz_mkseeds PRIVATE gwkube)
  set_target_properties(fuzz_mkseeds PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_custom_target(fuzz-harnesses DEPENDS ${names} fuzz_mkseeds)
  string(REPLACE ";" "\n" lines "${GW_FUZZ_HARNESSES}")
  file(WRITE ${CMAKE_BINARY_DIR}/fuzz/harnesses.txt "${lines}\n")
endif()

# The brief run in the unit tests: run.sh builds its own clang tree under
# this build directory and runs every harness for GW_FUZZ_SECONDS (10 s by
# default). Registered in the gcc builds when clang is installed, not in the
# sanitizer build (one run is enough) nor in the fuzz build itself.
if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang" AND NOT CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  find_program(GW_CLANG clang)
  if(GW_CLANG)
    add_test(NAME unit/fuzz
      COMMAND ${CMAKE_CURRENT_LIST_DIR}/run.sh --build-dir ${CMAKE_BINARY_DIR}/fuzz-build --ci)
    set_tests_properties(unit/fuzz PROPERTIES LABELS unit TIMEOUT 1800)
  else()
    message(STATUS "clang not found: the fuzz harnesses are not run (test/harness/install-deps.sh installs it)")
  endif()
endif()
