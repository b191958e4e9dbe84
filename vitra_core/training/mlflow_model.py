"""The pyfunc loader MLflow stores beside a logged VLA policy (models from code: nothing is pickled).

MLflow executes this file when the model is loaded (`mlflow.pyfunc.load_model`); it is not imported
by the library. Input: a dict of batched arrays named as VLAPolicy.predict's arguments.
"""

from pathlib import Path

import mlflow
import numpy as np

from vitra_core.model import VLAPolicy


class VLAPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        self.policy = VLAPolicy.load(Path(context.artifacts["policy"]))

    def predict(self, context, model_input, params=None):
        """A dict of [N, ...] arrays -> [N, 16, 102] chunks. (No type hints: MLflow would read them as a schema.)"""
        return np.stack([
            self.policy.predict(image, str(instruction), state, mask, fov)
            for image, instruction, state, mask, fov in zip(
                model_input["image"], model_input["instruction"], model_input["state"],
                model_input["state_mask"], model_input["fov"])
        ])


mlflow.models.set_model(VLAPyfunc())
