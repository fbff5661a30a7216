"""planning_sv: assess the social value promised in planning applications."""

__version__ = "0.1.0"
