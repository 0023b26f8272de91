"""mvplan.export"""
