"""placeholder"""
def load_tag_rules(value):
    return value
