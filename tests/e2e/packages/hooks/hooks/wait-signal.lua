-- The step waits until someone writes the signal ConfigMap with the wanted value.
local name = instance.name .. "-signal"
local cm = kube.get("v1", "ConfigMap", name)
if not cm then
  return false, "waiting for ConfigMap " .. name
end
if cm.data and cm.data.go == params.want then
  log("signal %s arrived", name)
  return true
end
return false, "ConfigMap " .. name .. " says go=" .. tostring(cm.data and cm.data.go)
