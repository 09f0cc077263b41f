"""The embedded Shanghai sample layer pack (SAMPLE DATA — not for official screening).

Installed as ``shgeo.sample_data``; see ``SOURCES.md`` beside this file.
"""
