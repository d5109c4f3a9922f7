"""Reading and writing model files and schedules from other tools."""
