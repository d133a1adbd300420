# Test registration. Labels: unit (cmocka, no I/O), integration (real
# kube-apiserver + etcd + kubectl), e2e (real LiteLLM). Each runs alone with
# `ctest -L <label>`.
if(CMOCKA_FOUND)
  file(GLOB UNIT_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/test/unit/test_*.c)
  foreach(src ${UNIT_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE gwserve PkgConfig::CMOCKA)
    target_compile_definitions(${name} PRIVATE TESTDATA_DIR="${CMAKE_SOURCE_DIR}/test/testdata")
    add_test(NAME unit/${name} COMMAND ${name})
    set_tests_properties(unit/${name} PROPERTIES LABELS unit
      ENVIRONMENT "CMOCKA_MESSAGE_OUTPUT=stdout")
  endforeach()
else()
  message(WARNING "cmocka not found: unit tests are not built (run test/harness/install-deps.sh)")
endif()

# The bad-input catalogue, run through the real binary.
add_test(NAME unit/catalogue
  COMMAND ${CMAKE_SOURCE_DIR}/test/catalogue/run.sh $<TARGET_FILE:litellm-gateway-operator>)
set_tests_properties(unit/catalogue PROPERTIES LABELS unit TIMEOUT 600)
# The same catalogue under valgrind memcheck, in the builds without ASan
# (the two do not mix).
if(NOT CMAKE_BUILD_TYPE STREQUAL "Sanitize")
  find_program(VALGRIND valgrind)
  if(VALGRIND)
    add_test(NAME unit/catalogue-valgrind
      COMMAND ${CMAKE_SOURCE_DIR}/test/catalogue/run.sh --valgrind $<TARGET_FILE:litellm-gateway-operator>)
    set_tests_properties(unit/catalogue-valgrind PROPERTIES LABELS unit TIMEOUT 1200)
  endif()
endif()

add_test(NAME unit/golden
  COMMAND ${CMAKE_SOURCE_DIR}/test/golden/check.sh $<TARGET_FILE:litellm-gateway-operator>)
set_tests_properties(unit/golden PROPERTIES LABELS unit)

foreach(layer integration e2e)
  if(EXISTS ${CMAKE_SOURCE_DIR}/test/${layer}/run.sh)
    add_test(NAME ${layer} COMMAND ${CMAKE_SOURCE_DIR}/test/${layer}/run.sh)
    set_tests_properties(${layer} PROPERTIES LABELS ${layer} TIMEOUT 3000
      ENVIRONMENT "GW_OPERATOR_BIN=$<TARGET_FILE:litellm-gateway-operator>")
  endif()
endforeach()

# Integration programs: cmocka executables that talk to a real API server
# (test/integration/c/test_*.c). Not registered with ctest: the pytest file
# test/integration/test_kube_client.py starts them against the cluster
# fixture, finding them under $GW_BUILD_DIR/integration-c.
if(CMOCKA_FOUND)
  file(GLOB IT_C_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/test/integration/c/test_*.c)
  foreach(src ${IT_C_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE gwserve PkgConfig::CMOCKA)
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/integration-c)
  endforeach()
endif()

# Layering of the sources: the pure core includes no I/O, thread or clock
# header and nothing from the runtime folders, and no include cycle exists
# between the product's modules; plus the tests of that checker.
add_test(NAME unit/layering COMMAND ${CMAKE_SOURCE_DIR}/test/checks/layering.sh ${CMAKE_SOURCE_DIR})
add_test(NAME unit/layering-selftest COMMAND ${CMAKE_SOURCE_DIR}/test/checks/test_layering.sh)
set_tests_properties(unit/layering unit/layering-selftest PROPERTIES LABELS unit)

# Function length: a function fits on a screen (60 lines); the few known
# longer ones are listed in the check and the list only shrinks.
add_test(NAME unit/funclen COMMAND ${CMAKE_SOURCE_DIR}/test/checks/funclen.sh ${CMAKE_SOURCE_DIR})
add_test(NAME unit/funclen-selftest COMMAND ${CMAKE_SOURCE_DIR}/test/checks/test_funclen.sh)
set_tests_properties(unit/funclen unit/funclen-selftest PROPERTIES LABELS unit)

# The YAML loader and writer against PyYAML, the YAML reader of LiteLLM.
add_executable(yaml_roundtrip ${CMAKE_SOURCE_DIR}/test/checks/yaml_roundtrip.c)
target_link_libraries(yaml_roundtrip PRIVATE gwcore)
add_test(NAME unit/yaml11-pyyaml
  COMMAND python3 ${CMAKE_SOURCE_DIR}/test/checks/yaml11_agree.py $<TARGET_FILE:yaml_roundtrip>)
set_tests_properties(unit/yaml11-pyyaml PROPERTIES LABELS unit)

# `validate` for pipelines through the real binary: directories, -o json,
# exit codes, the warning on empty input.
add_test(NAME unit/validate-cli
  COMMAND ${CMAKE_SOURCE_DIR}/test/checks/test_validate_cli.sh $<TARGET_FILE:litellm-gateway-operator>)
set_tests_properties(unit/validate-cli PROPERTIES LABELS unit)

# libFuzzer harnesses (clang only) and their brief run in the unit tests.
include(${CMAKE_SOURCE_DIR}/test/fuzz/fuzz.cmake)
