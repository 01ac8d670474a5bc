"""Evaluating tuned models on data: the examples (examples.py), asking every candidate and
scoring the answers through Vertex AI's evaluation service (run.py), the gate's arithmetic and
the best checkpoint (gate.py), and the report a person reads (report.py).

ModelEvaluation (resources/model_evaluation.py) and `vertex-tuning evaluate` (cli/evaluate.py)
share all of it; nothing here is imported on the preview path.
"""
