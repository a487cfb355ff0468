local cm = kube.get("v1", "ConfigMap", "cm")
if not cm then
  return false, "configmap cm is not there yet"
end
return true
