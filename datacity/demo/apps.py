from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "datacity.demo"
    label = "demo"
    verbose_name = "Demo"
