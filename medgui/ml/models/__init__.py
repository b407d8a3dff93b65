"""What a trained model is: the task contract and catalogue, the model card, the registry of
versions and bundles, safe weight loading.
"""
