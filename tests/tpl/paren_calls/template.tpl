{{ printf "%s/%s" (printf "%d" 3) (print "x" (len .Params.list)) }}
