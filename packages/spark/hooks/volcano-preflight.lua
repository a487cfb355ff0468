-- Preflight of the Spark package (deploy, update and upgrade plans, before anything is written).
--
-- With enableBatchScheduler=true the operator creates a Volcano PodGroup for every
-- SparkApplication that asks for `batchScheduler: volcano`, and reads the Queue it names. On a
-- cluster without Volcano the operator would start and then fail every such application, so the
-- plan stops here and says what to install.
local TRUE = {["1"] = true, t = true, T = true, TRUE = true, ["true"] = true, True = true}

if not TRUE[tostring(params.enableBatchScheduler)] then
  return true
end

-- The CRD `name` is served when it is Established and serves `version`.
local function served(name, version)
  local crd = kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
  if crd == nil then
    return false
  end
  local established = false
  for _, c in ipairs((crd.status or {}).conditions or {}) do
    if c.type == "Established" and c.status == "True" then
      established = true
    end
  end
  if not established then
    return false
  end
  for _, v in ipairs((crd.spec or {}).versions or {}) do
    if v.name == version and v.served then
      return true
    end
  end
  return false
end

local missing = {}
for _, name in ipairs({"podgroups.scheduling.volcano.sh", "queues.scheduling.volcano.sh"}) do
  if not served(name, "v1beta1") then
    missing[#missing + 1] = name
  end
end
if #missing > 0 then
  error(string.format(
    "enableBatchScheduler=true needs Volcano, but the cluster does not serve %s (scheduling.volcano.sh/v1beta1): " ..
    "install Volcano first (https://volcano.sh/en/docs/installation/), " ..
    "or install without -p enableBatchScheduler=true",
    table.concat(missing, " and ")), 0)
end
log("Volcano's PodGroups and Queues are served")
return true
