local function check()
  error("the database is not there")
end
check()
return true
