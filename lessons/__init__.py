"""Lesson content, runner and grader, installed as ``minigrad.lessons``."""
