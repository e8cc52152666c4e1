"""The ground floor: settings, files and records, the registry of datasets and
targets, the datasets, the models, prices and scores. Imports nothing above it."""
