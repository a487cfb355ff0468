{{ slice .l 1 }} {{ slice .l 1 2 }} {{ slice .s 1 3 }} {{ slice .s }} {{ slice .l 0 0 }}
