// TODO: implemented by its module owner
