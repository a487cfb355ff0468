local leader = kudoc.lib("leader")
return pcall(leader.check, {lock = "l", pods = {{metadata = {name = "a"}, status = {phase = "Running"}}}})
