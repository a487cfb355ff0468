local r = kube.ready({apiVersion = "apps/v1", kind = "Deployment", metadata = {name = "d", generation = 1}, spec = {replicas = 2}, status = {observedGeneration = 1, replicas = 2, readyReplicas = 1}})
return r.state, r.reason, pcall(kube.get, "v1", "Pod", "x"), now() > 0, table.concat({1, 2, 3}, ","), select("#", table.unpack({1, 2}))
