-- kudoc's leader-election check, built into kubectl-kudo: local leader = kudoc.lib("leader").
--
-- leader.check{namespace=, lock=, kind=, pods=} is healthy when exactly one pod of the
-- instance is Ready and holds the lock, and the lock was renewed within its lease duration.
-- It returns true, or false and the reason, and in both cases a table of what it found (for
-- `kubectl-kudo verify leader`, which runs this same function).
local leader = {}

local function phase(pod)
  return (pod.status or {}).phase or "Pending"
end

local function name_of(pod)
  return (pod.metadata or {}).name or "?"
end

-- Ready by kudoc's readiness rules, running, and not on its way out.
local function pod_ready(pod)
  if pod.missing then
    return false, "no such pod"
  end
  if (pod.metadata or {}).deletionTimestamp then
    return false, "terminating"
  end
  local r = kube.ready(pod)
  if r.ready and phase(pod) == "Running" then
    return true
  end
  if r.reason ~= "" then
    return false, r.reason
  end
  return false, "pod " .. phase(pod)
end

-- The pods to judge: `pods` as given (pod objects or names in the instance's namespace),
-- else the pods labelled kudoc.dev/instance=<instance>.
local function instance_pods(pods)
  local ns = instance.namespace
  if pods ~= nil then
    if type(pods) ~= "table" then
      error("leader.check: pods must be a list of pods or pod names", 3)
    end
    local out = {}
    for i, p in ipairs(pods) do
      if type(p) == "string" then
        out[#out + 1] = kube.get("v1", "Pod", p, ns) or { metadata = { name = p }, missing = true }
      elseif type(p) == "table" then
        out[#out + 1] = p
      else
        error("leader.check: pods[" .. i .. "] must be a pod or a pod name", 3)
      end
    end
    return out
  end
  if not instance.name then
    error("leader.check: the hook has no instance; pass pods=", 3)
  end
  return kube.list("v1", "Pod", { namespace = ns, labels = { ["kudoc.dev/instance"] = instance.name } })
end

-- client-go electors name themselves after the pod, often followed by "_" and a UUID.
local function holds(holder, pod_name)
  return holder == pod_name or holder:sub(1, #pod_name + 1) == pod_name .. "_"
end

function leader.check(opts)
  if type(opts) ~= "table" then
    error("leader.check: want a table {namespace=, lock=, kind=, pods=}", 2)
  end
  local lock, kind = opts.lock, opts.kind
  local ns = opts.namespace or instance.namespace
  if type(lock) ~= "string" or lock == "" then
    error("leader.check: lock= (the name of the lock) is needed", 2)
  end
  if type(ns) ~= "string" or ns == "" then
    error("leader.check: namespace= is needed (the hook has no instance namespace)", 2)
  end
  if kind ~= nil and kind ~= "configmap" and kind ~= "lease" then
    error('leader.check: kind must be "configmap" or "lease", not ' .. tostring(kind), 2)
  end

  local found = { namespace = ns, lock = lock, kind = kind }
  local pods = instance_pods(opts.pods)
  local ready_names = {}
  for _, p in ipairs(pods) do
    if pod_ready(p) then
      ready_names[#ready_names + 1] = name_of(p)
    end
  end
  table.sort(ready_names)
  found.pods = #pods
  found.pods_ready = #ready_names
  found.ready_pods = json.array(ready_names)

  local rec = kube.leader(ns, lock, kind)
  local what = (kind or "lease or configmap") .. " " .. ns .. "/" .. lock
  if not rec then
    return false, "no leader record in " .. what, found
  end
  what = rec.kind .. " " .. ns .. "/" .. lock
  found.kind = rec.kind
  found.holder = rec.holder
  found.lease_duration = rec.lease_duration
  found.acquire_time = rec.acquire_time
  found.renew_time = rec.renew_time
  found.transitions = rec.transitions
  if rec.holder == "" then
    return false, "nobody holds the " .. what, found
  end

  local holder_pod
  for _, p in ipairs(pods) do
    if holds(rec.holder, name_of(p)) then
      holder_pod = p
      break
    end
  end
  if not holder_pod then
    return false, "holder " .. rec.holder .. " is not a pod of this instance", found
  end
  found.pod = name_of(holder_pod)
  found.node = (holder_pod.spec or {}).nodeName
  local ok, why = pod_ready(holder_pod)
  found.pod_ready = ok
  if not ok then
    return false, "holder " .. found.pod .. " is not Ready (" .. why .. ")", found
  end

  if not rec.renew_time then
    return false, "the " .. what .. " was never renewed", found
  end
  local age = now() - rec.renew_time
  if age < 0 then
    age = 0 -- clocks of this machine and the cluster disagree a little
  end
  found.age = age
  if rec.lease_duration <= 0 then
    return false, "the " .. what .. " has no lease duration", found
  end
  if age > rec.lease_duration then
    return false,
      string.format("lease not renewed for %d s (duration %d s)", math.floor(age), rec.lease_duration),
      found
  end
  return true, nil, found
end

return leader
