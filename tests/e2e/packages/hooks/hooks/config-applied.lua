-- The task's own hook: the ConfigMap it applied is there, with the parameter's value.
local cm = kube.get("v1", "ConfigMap", instance.name .. "-config")
if not cm then
  return false, "ConfigMap " .. instance.name .. "-config is not there yet"
end
return cm.data.want == params.want, "ConfigMap has want=" .. tostring(cm.data.want)
