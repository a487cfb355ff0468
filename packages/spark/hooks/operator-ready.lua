-- Verify step of the Spark package: the operator's Deployment has rolled out and every one of
-- its `replicas` pods is Ready (with leader election, the standbys are Ready too: they only wait
-- for the lock).
local want = tonumber(params.replicas) or 1
local dep = kube.get("apps/v1", "Deployment", instance.name, instance.namespace)
if dep == nil then
  return false, string.format("deployment %s/%s not found", instance.namespace, instance.name)
end

local status = kube.ready(dep)
if status.state == "Failed" then
  error(string.format("deployment %s/%s failed: %s", instance.namespace, instance.name, status.reason), 0)
end
if status.state ~= "Current" then
  return false, status.reason
end

local ready, running = 0, 0
for _, pod in ipairs(kube.pods(dep)) do
  if pod.metadata.deletionTimestamp == nil then
    running = running + 1
    for _, c in ipairs((pod.status or {}).conditions or {}) do
      if c.type == "Ready" and c.status == "True" then
        ready = ready + 1
      end
    end
  end
end
if ready ~= want or running ~= want then
  return false, string.format("%d of %d operator pods Ready (%d running)", ready, want, running)
end
return true
