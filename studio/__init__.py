"""Design Studio's browser UI (Gradio). The engine is ``gan_core``; this package only calls it.

``studio.app.build_demo()`` builds the page; ``studio.app.launch_options()`` holds the
``launch()`` settings (theme, CSS, upload limit).
"""
