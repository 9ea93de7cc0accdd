"""Datasets: sets of synchronized cameras, each with detections per frame and ground truth."""
