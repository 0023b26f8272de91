"""mvplan.render"""
