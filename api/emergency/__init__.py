"""Emergencies (突发事件): the desk runs an urgent case live."""
