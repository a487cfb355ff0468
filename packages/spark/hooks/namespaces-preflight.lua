-- Preflight of the Spark package: the namespaces the parameters name outside the instance's own
-- must exist, since the package creates objects in them but never creates (or deletes) a
-- namespace another team may own.
--   leaderElectionLockNamespace: the lock's Role lives there, and the operator creates the lock
--   sparkJobNamespace: the Spark drivers' service account and Role live there
local TRUE = {["1"] = true, t = true, T = true, TRUE = true, ["true"] = true, True = true}

local problems = {}
local function need(ns, what, fix)
  if ns == nil or ns == "" or ns == instance.namespace then
    return
  end
  if kube.get("v1", "Namespace", ns) == nil then
    problems[#problems + 1] = string.format("%s namespace %q does not exist: create it (kubectl create namespace %s) or %s",
      what, ns, ns, fix)
  end
end

if TRUE[tostring(params.enableLeaderElection)] then
  need(params.leaderElectionLockNamespace, "the leader-election lock's",
    string.format("put the lock next to the operator with -p leaderElectionLockNamespace=%s", instance.namespace))
end
need(params.sparkJobNamespace, "the Spark job",
  "leave -p sparkJobNamespace empty to run jobs in any namespace")

if #problems > 0 then
  error(table.concat(problems, "; "), 0)
end
return true
