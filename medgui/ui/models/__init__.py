"""Training and models: the training and model docks, the proposal layer and the classifier panel.
"""
