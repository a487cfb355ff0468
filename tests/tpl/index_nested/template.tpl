{{ index .m "a" 1 "b" }} {{ index .l 0 }} {{ index .s 1 }} {{ index .m "nokey" }}
