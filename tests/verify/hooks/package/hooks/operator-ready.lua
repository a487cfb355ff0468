local leader = kudoc.lib("leader")
return leader.check{lock = instance.name .. "-lock"}
