{{ eq .l .l }}
