local s = "key = value, other=thing"
for k, v in s:gmatch("(%w+)%s*=%s*(%w+)") do print(k, v) end
return (s:gsub("%w+", function(w) return w:upper() end)), s:find("%f[%w]%w+", 5), s:match("^(%w+)")
