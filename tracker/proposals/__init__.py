"""Proposal PDFs: narrative, logframe and work plan of an application, checked and printed."""
