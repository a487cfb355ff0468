{{ eq .m nil }} {{ eq nil .m }} {{ eq .n nil }}
