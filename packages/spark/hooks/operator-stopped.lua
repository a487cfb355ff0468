-- Cleanup plan of the Spark package: after the operator's Deployment is deleted, wait until none
-- of its pods runs any more, so that no replica recreates the lock or the webhook registration
-- the next step deletes.
local selector = "app.kubernetes.io/name=spark-operator,app.kubernetes.io/instance=" .. instance.name
local pods = kube.list("v1", "Pod", {namespace = instance.namespace, labels = selector})
local items = pods.items or pods
if #items > 0 then
  local names = {}
  for _, pod in ipairs(items) do
    names[#names + 1] = pod.metadata.name
  end
  return false, string.format("%d operator pod(s) still running: %s", #items, table.concat(names, ", "))
end
return true
