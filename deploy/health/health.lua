-- Argo CD health check for AiGateway, ToolGateway and ToolRoute
-- (runtime.agentic-layer.ai). Argo CD runs it with the live object as `obj`
-- and expects a table {status = Healthy|Progressing|Degraded, message}.
--
-- It reads what the operator writes for every tool: status.observedGeneration
-- and the Ready, Reconciling and Stalled conditions.
--   Stalled=True                    -> Degraded (needs a change: a broken
--                                      config patch, a failed rollout, a
--                                      route whose upstream does not resolve)
--   status behind metadata.generation -> Progressing
--   Ready=True                      -> Healthy
--   anything else                   -> Progressing (rolling out, waiting for
--                                      the gateway, not reconciled yet)
-- Install: deploy/health/argocd-cm.yaml holds it under the argocd-cm keys.
local hs = { status = "Progressing", message = "waiting for the operator to report status" }
local st = obj.status
if st == nil or st.conditions == nil then
  return hs
end
local found = {}
for _, c in ipairs(st.conditions) do
  if c.type ~= nil then
    found[c.type] = c
  end
end
local function says(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason or ""
end
local stalled, ready, reconciling = found["Stalled"], found["Ready"], found["Reconciling"]
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = says(stalled)
  return hs
end
local gen = obj.metadata and obj.metadata.generation
if gen ~= nil and (st.observedGeneration == nil or st.observedGeneration < gen) then
  hs.message = "the operator has not yet observed generation " .. tostring(math.floor(gen))
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = says(ready)
  return hs
end
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = says(reconciling)
elseif ready ~= nil then
  hs.message = says(ready)
end
return hs
