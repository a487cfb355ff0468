local t = {}
pcall(function() while true do t[#t + 1] = string.rep("x", 100) end end)
xpcall(function() error("e") end, function(m) return m .. "!" end)
return true
