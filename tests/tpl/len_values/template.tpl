{{ len "héllo" }} {{ len .l }} {{ len .m }} {{ len "" }}
