"""Image and slice classification: the "classify" task, its data, networks, metrics, Grad-CAM
and inference. Importing this package registers the task with `medgui.ml.models.task`."""

from medgui.ml.classification.infer import Classifier, classify_images, load_classifier
from medgui.ml.classification.task import ClassificationTask

__all__ = ["ClassificationTask", "Classifier", "classify_images", "load_classifier"]
