{{ (index .m "a").b }}
