"""QtGui-only helpers shared by the window backends (screens, grabbing); never Qt widgets."""
