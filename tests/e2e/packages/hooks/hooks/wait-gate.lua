-- Waits for key "go" of the ConfigMap the step applied. Its interval is longer than the plan's
-- timeout, so only a change of that ConfigMap (a watched kind of the step) can wake it in time.
local name = instance.name .. "-gate"
local cm = kube.get("v1", "ConfigMap", name)
if cm and cm.data and cm.data.go == "yes" then
  log("gate %s opened", name)
  return true
end
return false, "gate " .. name .. " is closed"
