local ok = true
if ok then
  return true
end
end
