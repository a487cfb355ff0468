if params.enabled ~= "true" then return false, "disabled" end
return tonumber(params.replicas) == 3
