héllo {{ "wörld" }} ✓
