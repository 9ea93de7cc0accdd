"""Per-camera tracking: the boxmot adapter and the batch-wise TrackingStage."""
