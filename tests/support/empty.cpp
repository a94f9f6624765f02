// Keeps axon_test_support non-empty before other helpers exist.
