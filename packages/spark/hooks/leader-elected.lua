-- Verify step of the Spark package, with enableLeaderElection=true: exactly one Ready pod of this
-- instance holds the lock ConfigMap <leaderElectionLockNamespace>/<leaderElectionLockName>, and
-- renewed it within its lease duration (kudoc's leader library decides; it says why not).
local TRUE = {["1"] = true, t = true, T = true, TRUE = true, ["true"] = true, True = true}

if not TRUE[tostring(params.enableLeaderElection)] then
  return true
end
if (tonumber(params.replicas) or 1) == 0 then
  log("replicas=0: no operator pod, so no leader to check")
  return true
end

local dep = kube.get("apps/v1", "Deployment", instance.name, instance.namespace)
if dep == nil then
  return false, string.format("deployment %s/%s not found", instance.namespace, instance.name)
end

local leader = kudoc.lib("leader")
-- The Spark operator (v1beta2-1.3.x) elects through a ConfigMap annotation lock.
return leader.check{
  namespace = params.leaderElectionLockNamespace,
  lock = params.leaderElectionLockName,
  kind = "configmap",
  pods = kube.pods(dep),
}
