{{ print nil }} {{ printf "%v" nil }} {{ eq nil .n }}
