{{ index .l .i }}
