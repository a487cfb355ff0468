{{ print 1 := }}
