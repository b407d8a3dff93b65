"""Image and slice classification: the "classify" task, its data, networks, metrics, Grad-CAM
and inference. The catalogue (`ml.models.catalogue`) names the task; importing this
package registers nothing."""

from medgui.ml.classification.infer import Classifier, classify_images, load_classifier
from medgui.ml.classification.task import ClassificationTask

__all__ = ["ClassificationTask", "Classifier", "classify_images", "load_classifier"]
